-- A misspelt NOT NULL.
CREATE TABLE `user` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `mobile` char(11) NOT NULLL DEFAULT '',
  PRIMARY KEY (`id`)
);
