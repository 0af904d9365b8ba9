"""The school and its classes: creating an archive (first run, ``xueji init``), school details, classes and their
capacity, demo archives."""
