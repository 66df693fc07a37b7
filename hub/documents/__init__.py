"""Printed documents of a drawn task (检查通知书, 派遣单, 检查记录表, 检查结果单, 移送书) as PDF.

``refs`` names a document, ``numbering`` gives it its number (文号), ``content`` gathers what goes
on the paper, ``render`` lays it out with WeasyPrint, and ``services`` says who may print what.
"""
