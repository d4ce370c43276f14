DROP TABLE challenge_milestones;
DROP TABLE challenge_applications;
