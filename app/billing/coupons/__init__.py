"""Coupons and the discounts they become when applied to a customer."""
