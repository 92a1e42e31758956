/* placeholder */
int impact_placeholder_opts;
