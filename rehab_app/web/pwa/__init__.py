"""The installable app: manifest, service worker and offline page."""
