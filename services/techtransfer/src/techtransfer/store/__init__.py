"""The techtransfer service's queries over its documents, and its view of funding's projects."""
