"""Imports every model so Alembic and create_all see the whole schema."""

from hub.audit.models import AuditEntry  # noqa: F401
from hub.auth.models import ApiToken, User  # noqa: F401
from hub.documents.models import DocumentCounter, DocumentNumber  # noqa: F401
from hub.draw.models import Assignment, AssignmentInspector  # noqa: F401
from hub.items.models import Item  # noqa: F401
from hub.lease_models import JobTick, SchedulerLease  # noqa: F401
from hub.outbox.models import DeliveryAttempt, OutboxMessage  # noqa: F401
from hub.plans.models import AnnualPlan, PlanEntry  # noqa: F401
from hub.portal.models import PublicName  # noqa: F401
from hub.results.models import CalendarOverride, FollowUp, Result  # noqa: F401
from hub.rosters.models import Entity, EntitySource, Inspector, QuarantineRecord, SourceState, SyncRun  # noqa: F401
from hub.tasks.models import JointTask, TaskParty  # noqa: F401
from hub.verification.models import VerificationJob  # noqa: F401
