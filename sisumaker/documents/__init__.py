"""Flask-free PDF rendering of official documents (naskah dinas).

Plain frozen dataclasses in, PDF bytes out. Imports only the standard library
and reportlab; nothing of Flask, the models or the services.
"""
