"""GraphQL of coupons and discounts (master manages coupons; discounts show on customers)."""
