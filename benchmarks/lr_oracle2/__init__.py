"""The second LR oracle: tasks, ground truth and the scorer (see tasks.py)."""
