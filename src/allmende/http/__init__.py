"""HTTP plumbing shared by the web shell, the standards adapters and the modules: the app context,
credentials to principal, CSRF, problem responses, proxy-aware links, templating and i18n."""
