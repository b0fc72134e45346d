"""OCFS2's o2cb cluster stack: cluster.conf, configfs, the o2cb tool's output."""
