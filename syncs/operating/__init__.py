"""What operators and agents look at: the dashboard's figures, the jobs and their timelines, failures and replay."""
