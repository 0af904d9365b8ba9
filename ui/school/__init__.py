"""First-run set-up, school details, classes and the class tree."""
