"""Shared Streamlit helpers for the pages: role gate, cached data, filters, formatting, charts."""
