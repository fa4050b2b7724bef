"""Starting the service's processes: all three on one machine under supervisord
(``serve.manager``), or one role at a time for a deployment across hosts (``serve.roles``)."""
