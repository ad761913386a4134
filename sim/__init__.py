"""Discrete-event simulation of sales lead operations."""
