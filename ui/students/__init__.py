"""The roster, search-as-you-type, the student editor, key-data changes and the state history."""
