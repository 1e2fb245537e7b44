"""The JSON sync API for installed apps."""
