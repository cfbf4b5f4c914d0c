"""Serving: ranking logic, the model lifecycle and the MongoDB reads behind the recommendation endpoints.

Nothing here knows about HTTP; the API routes call into it.
"""
