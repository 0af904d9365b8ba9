"""Rules as data: profiles in resources/rules/ evaluated by a general engine."""
from app.rules.engine import Profile, RuleContext, available_profiles, load_profile  # noqa: F401
