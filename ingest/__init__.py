"""Loading articles from files, folders and URLs, cleaning them, and splitting them into chunks."""
