"""Year-end promotion (升级) of the whole school, graduation (毕业/结业/肄业/修业) and high-school graduation records; their rule
checks."""
