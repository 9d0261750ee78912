"""followup"""
