"""Menu entries of the exams module (registered in ExamsConfig.ready)."""
