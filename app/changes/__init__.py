"""Status changes (学籍异动): the kinds as data (kinds), planning and applying a change (planner, service),
a new record's starting event (enrolment), deadlines and overrides, the rule checks (checks), the SQL (store)."""
