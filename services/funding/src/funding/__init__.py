"""The funding service: Joint funds, calls, proposals, reviews, awards, disbursements and projects."""
