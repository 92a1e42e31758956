/* placeholder */
int impact_placeholder_cmd_demo;
