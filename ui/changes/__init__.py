"""Status-change dialogs, the deadlines view, the working-day calendar, override approvals."""
