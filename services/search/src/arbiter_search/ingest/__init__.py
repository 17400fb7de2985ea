"""Ingestion: source documents cut into chunks (structure-aware, token-counted, with an
optional context header) and written to the store."""
