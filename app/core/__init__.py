"""The shared kernel every feature builds on: the open session, errors as the registrar sees them, the translation
catalog, paths, text normalising, working days, roles and masking, the content-addressed file store."""
