"""The techtransfer service: Technologies, patents, licenses, royalties and income distribution."""
