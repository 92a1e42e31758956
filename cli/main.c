/* placeholder */
int impact_placeholder_main;
