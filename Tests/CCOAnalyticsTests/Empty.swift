let placeholderTests = 0
