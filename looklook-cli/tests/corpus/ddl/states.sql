-- tinyint(1) is MySQL's boolean, but the original system kept states in it.
CREATE TABLE `order` (
  `id` bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `trade_state` tinyint(1) NOT NULL DEFAULT '0'
);
