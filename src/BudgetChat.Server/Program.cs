// Placeholder until the service's entry point is written (issue 4).
return 0;
