"""OCFS2's o2cb cluster stack: names, modes and timeouts (model) and configfs (configfs), which the monitor reads;
cluster.conf (conf) and Pacemaker's membership with name resolution (membership), which start reads."""
