"""Status changes (学籍异动): the kinds as data, planning and applying a change, a student's state on a date."""
from app.changes.kinds import KINDS
from app.changes.service import (ChangePlan, ChangeRequest, ChangeResult, apply_change, events_for, form_data,
                                 kind_info, plan_change, record_approval, state_on, states_on)

__all__ = ["KINDS", "ChangePlan", "ChangeRequest", "ChangeResult", "apply_change", "events_for", "form_data",
           "kind_info", "plan_change", "record_approval", "state_on", "states_on"]
