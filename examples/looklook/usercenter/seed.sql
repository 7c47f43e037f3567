-- The landlords of the seeded shops (travel/seed.sql). They have no
-- password: nobody logs in as them; register your own account to book.
INSERT INTO `user` (`id`, `mobile`, `nickname`, `sex`, `avatar`, `info`, `delete_time`) VALUES
  (1, '13600000001', 'Lin the host', 1, 'https://img.looklook.dev/avatar/lin.jpg', 'Hosting in Dali since 2015', '1970-01-01 08:00:00'),
  (2, '13600000002', 'Old Zhang', 0, 'https://img.looklook.dev/avatar/zhang.jpg', 'Fisherman, cook, storyteller', '1970-01-01 08:00:00'),
  (3, '13600000003', 'Mei', 1, 'https://img.looklook.dev/avatar/mei.jpg', 'Tea farmer in the hills', '1970-01-01 08:00:00');
INSERT INTO `user_auth` (`user_id`, `auth_key`, `auth_type`, `delete_time`) VALUES
  (1, '13600000001', 'system', '1970-01-01 08:00:00'),
  (2, '13600000002', 'system', '1970-01-01 08:00:00'),
  (3, '13600000003', 'system', '1970-01-01 08:00:00');
