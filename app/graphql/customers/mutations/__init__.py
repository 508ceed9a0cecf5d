"""Customer account mutations: lifecycle and notes (master), members, invitations.

Members, invitations and `customerUpdate` are open to session admins: the service loads every
target through the caller's row scope, so another customer's objects read NOT_FOUND. That holds
for the user `memberAdd` enrols too: a session admin adds only someone who already belongs to
one of their customers; anyone else joins through an invitation they accept.
"""
