-- The sample shop's tables: every column type looklook maps, the looklook
-- conventions (soft delete, optimistic lock), single and composite unique
-- keys, and a table keyed by a string.

CREATE TABLE `user` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `create_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `update_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `delete_time` datetime NOT NULL DEFAULT '1970-01-01 08:00:00',
  `del_state` tinyint NOT NULL DEFAULT '0',
  `version` bigint NOT NULL DEFAULT '0' COMMENT 'optimistic lock',
  `mobile` char(11) NOT NULL DEFAULT '',
  `nickname` varchar(255) NOT NULL DEFAULT '',
  `sex` tinyint(1) NOT NULL DEFAULT '0' COMMENT 'false: male, true: female',
  `avatar` varchar(255) DEFAULT NULL,
  `balance` decimal(10,2) NOT NULL DEFAULT '0.00',
  `points` int unsigned NOT NULL DEFAULT '0',
  `extra` json DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_mobile` (`mobile`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='users';

CREATE TABLE `user_auth` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `create_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `update_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `user_id` bigint NOT NULL DEFAULT '0',
  `auth_key` varchar(64) NOT NULL DEFAULT '' COMMENT 'the mobile number or the WeChat openid',
  `auth_type` varchar(12) NOT NULL DEFAULT '' COMMENT 'mobile or wxMini',
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_type_key` (`auth_type`, `auth_key`) USING BTREE,
  UNIQUE KEY `idx_user_type` (`user_id`, `auth_type`),
  KEY `idx_user` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='how users sign in';

CREATE TABLE `product` (
  `sku` varchar(32) NOT NULL COMMENT 'stock keeping unit',
  `title` varchar(128) NOT NULL,
  `price` decimal(10,2) NOT NULL,
  `weight` double NOT NULL DEFAULT '0',
  `rating` float DEFAULT NULL,
  `stock` smallint unsigned NOT NULL DEFAULT '0',
  `kind` enum('book','toy','food') NOT NULL DEFAULT 'book',
  `tags` set('new','sale') NOT NULL DEFAULT '',
  `released` date DEFAULT NULL,
  `opens_at` time DEFAULT NULL,
  `thumbnail` blob,
  `checksum` binary(16) DEFAULT NULL,
  `barcode` bigint unsigned DEFAULT NULL,
  `updated` timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (`sku`),
  UNIQUE KEY `idx_barcode` (`barcode`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='the catalogue, keyed by SKU';
