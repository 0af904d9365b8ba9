"""Photo capture (camera or file), class intake, re-crop."""
