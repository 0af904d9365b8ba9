"""Rules as data: profiles in resources/rules/ evaluated by a general engine (engine); the general checks
and the table of feature check modules (checks)."""
