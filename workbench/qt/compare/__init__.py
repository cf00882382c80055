"""The Compare page: one prompt answered by up to six columns, each answer scored by every column's model."""
