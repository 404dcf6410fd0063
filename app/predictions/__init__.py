"""CLV predictions: what the workspace's active BG/NBD and Gamma-Gamma model predicts of each
customer, kept on the customers table as the write path changes purchases. The model is
fitted, and every customer rescored, by ``app.clv``."""
