"""Annual plans (年度抽查计划): per lead agency and year, the joint tasks it means to run."""
