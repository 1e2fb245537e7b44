"""Patient pages: Today, logging entries, History, and reminder settings."""
