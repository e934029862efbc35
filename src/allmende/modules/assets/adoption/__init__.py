"""Adoption and watering of trees and green spaces by citizens."""
