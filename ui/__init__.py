"""The app's front-end helpers: chat turns, HTML and markdown rendering, example questions, uploads, the index."""
