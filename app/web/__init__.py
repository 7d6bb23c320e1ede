"""The HTTP layer around the Streamlit pages: sign-in routes, security headers, the page guard."""
