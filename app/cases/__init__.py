"""Cases and their invitations: the worker's side of opening a conversation, and exports."""
