-- Three tables a model cannot be made of; every problem is reported.
CREATE TABLE `log` (
  `message` text NOT NULL
);

CREATE TABLE `friend` (
  `user_id` bigint NOT NULL,
  `friend_id` bigint NOT NULL,
  PRIMARY KEY (`user_id`, `friend_id`)
);

CREATE TABLE `place` (
  `id` bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `shape` geometry NOT NULL,
  `odd name` int NOT NULL
);
